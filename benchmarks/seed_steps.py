"""The seed tutorials' training steps, written plainly as the tutorials write them (for comparison only).

Nothing here imports mindgan: mindgan sets ONEDNN_MAX_CPU_ISA and thread counts when it loads, and the
point of these steps is to time the tutorials as a reader would run them.
"""
import numpy as np
import mindspore as ms
from mindspore import nn, ops
from mindspore.common.initializer import Normal


# --- the MindSpore tutorial "GAN image generation" (PyNative: value_and_grad functions called eagerly) -------------
def seed000_step(batch_size, latent_size=100, img_size=28):
    class Generator(nn.Cell):
        def __init__(self, latent_size, auto_prefix=True):
            super().__init__(auto_prefix=auto_prefix)
            self.model = nn.SequentialCell()
            self.model.append(nn.Dense(latent_size, 128))
            self.model.append(nn.ReLU())
            self.model.append(nn.Dense(128, 256))
            self.model.append(nn.BatchNorm1d(256))
            self.model.append(nn.ReLU())
            self.model.append(nn.Dense(256, 512))
            self.model.append(nn.BatchNorm1d(512))
            self.model.append(nn.ReLU())
            self.model.append(nn.Dense(512, 1024))
            self.model.append(nn.BatchNorm1d(1024))
            self.model.append(nn.ReLU())
            self.model.append(nn.Dense(1024, img_size * img_size))
            self.model.append(nn.Tanh())

        def construct(self, x):
            img = self.model(x)
            return ops.reshape(img, (-1, 1, 28, 28))

    class Discriminator(nn.Cell):
        def __init__(self, auto_prefix=True):
            super().__init__(auto_prefix=auto_prefix)
            self.model = nn.SequentialCell()
            self.model.append(nn.Dense(img_size * img_size, 512))
            self.model.append(nn.LeakyReLU())
            self.model.append(nn.Dense(512, 256))
            self.model.append(nn.LeakyReLU())
            self.model.append(nn.Dense(256, 1))
            self.model.append(nn.Sigmoid())

        def construct(self, x):
            x_flat = ops.reshape(x, (-1, img_size * img_size))
            return self.model(x_flat)

    net_g = Generator(latent_size)
    net_g.update_parameters_name('generator')
    net_d = Discriminator()
    net_d.update_parameters_name('discriminator')
    adversarial_loss = nn.BCELoss(reduction='mean')
    optimizer_d = nn.Adam(net_d.trainable_params(), learning_rate=0.0002, beta1=0.5, beta2=0.999)
    optimizer_g = nn.Adam(net_g.trainable_params(), learning_rate=0.0002, beta1=0.5, beta2=0.999)
    optimizer_g.update_parameters_name('optim_g')
    optimizer_d.update_parameters_name('optim_d')

    def generator_forward(test_noises):
        fake_data = net_g(test_noises)
        fake_out = net_d(fake_data)
        return adversarial_loss(fake_out, ops.ones_like(fake_out))

    def discriminator_forward(real_data, test_noises):
        fake_data = net_g(test_noises)
        fake_out = net_d(fake_data)
        real_out = net_d(real_data)
        real_loss = adversarial_loss(real_out, ops.ones_like(real_out))
        fake_loss = adversarial_loss(fake_out, ops.zeros_like(fake_out))
        return real_loss + fake_loss

    grad_g = ms.value_and_grad(generator_forward, None, net_g.trainable_params())
    grad_d = ms.value_and_grad(discriminator_forward, None, net_d.trainable_params())

    def train_step(real_data, latent_code):
        loss_d, grads_d = grad_d(real_data, latent_code)
        optimizer_d(grads_d)
        loss_g, grads_g = grad_g(latent_code)
        optimizer_g(grads_g)
        return loss_d, loss_g

    net_g.set_train()
    net_d.set_train()
    rng = np.random.default_rng(0)
    image = ms.Tensor(rng.uniform(-1, 1, (batch_size, 1, 28, 28)).astype(np.float32))
    latent = ms.Tensor(rng.standard_normal((batch_size, latent_size)).astype(np.float32))

    def step():
        d, g = train_step(image, latent)
        return float(d.asnumpy()), float(g.asnumpy())

    step.net_g = net_g  # for benchmarks/tutorial_ckpt.py: the tutorial saves and reloads this generator
    return step


# --- the MindSpore tutorial "DCGAN for image generation" (train_step compiled; G updated first, then D) --------------------
def seed002_step(batch_size, image_size=64, nc=3, nz=100, ngf=64, ndf=64):
    weight_init = Normal(mean=0, sigma=0.02)
    gamma_init = Normal(mean=1, sigma=0.02)

    class Generator(nn.Cell):
        def __init__(self):
            super().__init__()
            self.generator = nn.SequentialCell(
                nn.Conv2dTranspose(nz, ngf * 8, 4, 1, 'valid', weight_init=weight_init),
                nn.BatchNorm2d(ngf * 8, gamma_init=gamma_init), nn.ReLU(),
                nn.Conv2dTranspose(ngf * 8, ngf * 4, 4, 2, 'pad', 1, weight_init=weight_init),
                nn.BatchNorm2d(ngf * 4, gamma_init=gamma_init), nn.ReLU(),
                nn.Conv2dTranspose(ngf * 4, ngf * 2, 4, 2, 'pad', 1, weight_init=weight_init),
                nn.BatchNorm2d(ngf * 2, gamma_init=gamma_init), nn.ReLU(),
                nn.Conv2dTranspose(ngf * 2, ngf, 4, 2, 'pad', 1, weight_init=weight_init),
                nn.BatchNorm2d(ngf, gamma_init=gamma_init), nn.ReLU(),
                nn.Conv2dTranspose(ngf, nc, 4, 2, 'pad', 1, weight_init=weight_init),
                nn.Tanh())

        def construct(self, x):
            return self.generator(x)

    class Discriminator(nn.Cell):
        def __init__(self):
            super().__init__()
            self.discriminator = nn.SequentialCell(
                nn.Conv2d(nc, ndf, 4, 2, 'pad', 1, weight_init=weight_init), nn.LeakyReLU(0.2),
                nn.Conv2d(ndf, ndf * 2, 4, 2, 'pad', 1, weight_init=weight_init),
                nn.BatchNorm2d(ngf * 2, gamma_init=gamma_init), nn.LeakyReLU(0.2),
                nn.Conv2d(ndf * 2, ndf * 4, 4, 2, 'pad', 1, weight_init=weight_init),
                nn.BatchNorm2d(ngf * 4, gamma_init=gamma_init), nn.LeakyReLU(0.2),
                nn.Conv2d(ndf * 4, ndf * 8, 4, 2, 'pad', 1, weight_init=weight_init),
                nn.BatchNorm2d(ngf * 8, gamma_init=gamma_init), nn.LeakyReLU(0.2),
                nn.Conv2d(ndf * 8, 1, 4, 1, 'valid', weight_init=weight_init))
            self.adv_layer = nn.Sigmoid()

        def construct(self, x):
            out = self.discriminator(x)
            out = out.reshape(out.shape[0], -1)
            return self.adv_layer(out)

    generator, discriminator = Generator(), Discriminator()
    adversarial_loss = nn.BCELoss(reduction='mean')
    optimizer_D = nn.Adam(discriminator.trainable_params(), learning_rate=0.0002, beta1=0.5)
    optimizer_G = nn.Adam(generator.trainable_params(), learning_rate=0.0002, beta1=0.5)
    optimizer_G.update_parameters_name('optim_g.')
    optimizer_D.update_parameters_name('optim_d.')

    def generator_forward(real_imgs, valid):
        z = ops.standard_normal((real_imgs.shape[0], nz, 1, 1))
        gen_imgs = generator(z)
        g_loss = adversarial_loss(discriminator(gen_imgs), valid)
        return g_loss, gen_imgs

    def discriminator_forward(real_imgs, gen_imgs, valid, fake):
        real_loss = adversarial_loss(discriminator(real_imgs), valid)
        fake_loss = adversarial_loss(discriminator(gen_imgs), fake)
        return (real_loss + fake_loss) / 2

    grad_generator_fn = ms.value_and_grad(generator_forward, None, optimizer_G.parameters, has_aux=True)
    grad_discriminator_fn = ms.value_and_grad(discriminator_forward, None, optimizer_D.parameters)

    @ms.jit  # the tutorial's ms.ms_function, renamed in MindSpore 2.x
    def train_step(imgs):
        valid = ops.ones((imgs.shape[0], 1), ms.float32)
        fake = ops.zeros((imgs.shape[0], 1), ms.float32)
        (g_loss, gen_imgs), g_grads = grad_generator_fn(imgs, valid)
        optimizer_G(g_grads)
        d_loss, d_grads = grad_discriminator_fn(imgs, gen_imgs, valid, fake)
        optimizer_D(d_grads)
        return g_loss, d_loss, gen_imgs

    generator.set_train()
    discriminator.set_train()
    imgs = ms.Tensor(np.random.default_rng(0).uniform(0, 1, (batch_size, nc, image_size, image_size))
                     .astype(np.float32))

    def step():
        g, d, _ = train_step(imgs)
        return float(d.asnumpy()), float(g.asnumpy())

    step.net_g = generator
    return step


SEED_STEPS = {"gan": seed000_step, "dcgan": seed002_step}
